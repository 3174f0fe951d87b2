// Code generated - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package chain

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = errors.New
	_ = big.NewInt
	_ = strings.NewReader
	_ = ethereum.NotFound
	_ = bind.Bind
	_ = common.Big1
	_ = types.BloomLookup
	_ = event.NewSubscription
	_ = abi.ConvertType
	_ = time.Tick
	_ = context.Background
)

// CheckbookFactoryMetaData contains all meta data concerning the CheckbookFactory contract.
var CheckbookFactoryMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractIERC20\",\"name\":\"token_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"issuer\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"checkbook\",\"type\":\"address\"}],\"name\":\"CheckbookDeployed\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"checkbookOf\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"issuer\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"noticePeriod\",\"type\":\"uint256\"}],\"name\":\"deploy\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"deployedBy\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"token\",\"outputs\":[{\"internalType\":\"contractIERC20\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	Bin: "0x60a060405234801561000f575f5ffd5b5060405161192238038061192283398101604081905261002e91610099565b6001600160a01b0381166100885760405162461bcd60e51b815260206004820152601c60248201527f436865636b626f6f6b466163746f72793a207a65726f20746f6b656e00000000604482015260640160405180910390fd5b6001600160a01b03166080526100c6565b5f602082840312156100a9575f5ffd5b81516001600160a01b03811681146100bf575f5ffd5b9392505050565b60805161183e6100e45f395f818160dd0152610103015261183e5ff3fe608060405234801561000f575f5ffd5b506004361061004a575f3560e01c80634956eaf01461004e57806367d95cc21461007e57806382ed1e5b146100b0578063fc0c546a146100d8575b5f5ffd5b61006161005c36600461025a565b6100ff565b6040516001600160a01b0390911681526020015b60405180910390f35b6100a061008c366004610282565b5f6020819052908152604090205460ff1681565b6040519015158152602001610075565b6100616100be366004610282565b60016020525f90815260409020546001600160a01b031681565b6100617f000000000000000000000000000000000000000000000000000000000000000081565b5f5f7f0000000000000000000000000000000000000000000000000000000000000000848460405161013090610232565b6001600160a01b0393841681529290911660208301526040820152606001604051809103905ff080158015610167573d5f5f3e3d5ffd5b506001600160a01b038082165f908152602081905260409020805460ff1916600117905590915081903390861614806101b757506001600160a01b038581165f9081526001602052604090205416155b156101ea576001600160a01b038581165f90815260016020526040902080546001600160a01b0319169183169190911790555b6040516001600160a01b0382811682528616907f9c12802d0b29c8f8462f7f844c57405514f5b8046d62d0576108205aefb364599060200160405180910390a2949350505050565b611566806102a383390190565b80356001600160a01b0381168114610255575f5ffd5b919050565b5f5f6040838503121561026b575f5ffd5b6102748361023f565b946020939093013593505050565b5f60208284031215610292575f5ffd5b61029b8261023f565b939250505056fe6101c0604052348015610010575f5ffd5b5060405161156638038061156683398101604081905261002f91610253565b6040518060400160405280601381526020017f4d61696e6672616d6520436865636b626f6f6b00000000000000000000000000815250604051806040016040528060018152602001603160f81b81525061008e826101ff60201b60201c565b6101205261009b816101ff565b61014052815160208084019190912060e052815190820120610100524660a05261012760e05161010051604080517f8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f60208201529081019290925260608201524660808201523060a08201525f9060c00160405160208183030381529060405280519060200120905090565b60805250503060c0526001600160a01b03831661018b5760405162461bcd60e51b815260206004820152601560248201527f436865636b626f6f6b3a207a65726f20746f6b656e000000000000000000000060448201526064015b60405180910390fd5b6001600160a01b0382166101e15760405162461bcd60e51b815260206004820152601660248201527f436865636b626f6f6b3a207a65726f20697373756572000000000000000000006044820152606401610182565b6001600160a01b03928316610160529116610180526101a0526102ee565b5f5f829050601f81511115610229578260405163305a27a960e01b81526004016101829190610293565b8051610234826102c8565b179392505050565b6001600160a01b0381168114610250575f5ffd5b50565b5f5f5f60608486031215610265575f5ffd5b83516102708161023c565b60208501519093506102818161023c565b80925050604084015190509250925092565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b805160208083015191908110156102e8575f198160200360031b1b821691505b50919050565b60805160a05160c05160e05161010051610120516101405161016051610180516101a0516111ca61039c5f395f818161025d01526108ff01525f818161017301528181610311015281816104900152818161056701526108b801525f81816102e40152818161046e01528181610878015281816109ec0152610a6f01525f610bae01525f610b8301525f610d4901525f610d2101525f610c7c01525f610ca601525f610cd001526111ca5ff3fe608060405234801561000f575f5ffd5b5060043610610127575f3560e01c806381f03fcb116100a9578063b648b4171161006e578063b648b41714610288578063b69ef8a8146102a5578063b6b55f25146102ad578063da242276146102c0578063fc0c546a146102df575f5ffd5b806381f03fcb1461020b57806384b0196e1461022a57806398967d95146102455780639b14d4c614610258578063aae7d1ae1461027f575f5ffd5b8063408f6aa5116100ef578063408f6aa5146101c0578063534844a2146101d3578063641c766e146101dc57806364f29708146101e55780636fb3ab61146101f8575f5ffd5b80631357e1dc1461012b57806315c3343f146101475780631d1438481461016e5780633514264f146101ad5780633ccfd60b146101b6575b5f5ffd5b61013460045481565b6040519081526020015b60405180910390f35b6101347f6b9b27e0b5101c510984a43623be799b197c9a873ac42e5ec297e64243ae667981565b6101957f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b03909116815260200161013e565b61013460055481565b6101be610306565b005b6101346101ce366004610f4d565b6104b9565b61013460085481565b61013460095481565b6101be6101f3366004610f75565b61052e565b6101be610206366004610ff8565b6108ad565b61013461021936600461100f565b60026020525f908152604090205481565b610232610966565b60405161013e9796959493929190611056565b61013461025336600461100f565b6109a8565b6101347f000000000000000000000000000000000000000000000000000000000000000081565b61013460065481565b6007546102959060ff1681565b604051901515815260200161013e565b6101346109d5565b6101be6102bb366004610ff8565b610a62565b6101346102ce36600461100f565b60036020525f908152604090205481565b6101957f000000000000000000000000000000000000000000000000000000000000000081565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146103575760405162461bcd60e51b815260040161034e906110ec565b60405180910390fd5b600854806103b25760405162461bcd60e51b815260206004820152602260248201527f436865636b626f6f6b3a206e6f207769746864726177616c20616e6e6f756e63604482015261195960f21b606482015260840161034e565b60095442101561040e5760405162461bcd60e51b815260206004820152602160248201527f436865636b626f6f6b3a206e6f7469636520706572696f64206e6f74206f76656044820152603960f91b606482015260840161034e565b5f6104176109d5565b905080821115610425578091505b5f60088190556009556040518281527f430648de173157e069201c943adb2d4e340e7cf5b27b1b09c9cb852f03d63b569060200160405180910390a16104b56001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000167f000000000000000000000000000000000000000000000000000000000000000084610acf565b5050565b604080517f6b9b27e0b5101c510984a43623be799b197c9a873ac42e5ec297e64243ae6679602082015230918101919091526001600160a01b0383166060820152608081018290525f906105259060a00160405160208183030381529060405280519060200120610b09565b90505b92915050565b5f5f61054461053d87876104b9565b8585610b35565b5090925090505f81600381111561055d5761055d61112f565b14801561059b57507f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316826001600160a01b0316145b6105f35760405162461bcd60e51b815260206004820152602360248201527f436865636b626f6f6b3a20696e76616c696420636865717565207369676e617460448201526275726560e81b606482015260840161034e565b6001600160a01b0386165f9081526002602052604090205480861161065a5760405162461bcd60e51b815260206004820181905260248201527f436865636b626f6f6b3a2063686571756520616c726561647920636173686564604482015260640161034e565b5f6106658288611157565b90505f6106706109d5565b90505f8183106106805781610682565b825b6001600160a01b038b165f90815260036020526040902054909150811515806106aa5750808a115b6106f65760405162461bcd60e51b815260206004820152601960248201527f436865636b626f6f6b3a206e6f7468696e6720746f2070617900000000000000604482015260640161034e565b5f6107018683611157565b9050818b1115610729576001600160a01b038c165f9081526003602052604090208b90558a91505b610733838761116a565b6001600160a01b038d165f908152600260205260408120919091556004805485929061076090849061116a565b909155508390506107718784611157565b61077b9190611157565b816005546107899190611157565b610793919061116a565b60055582156107e157604080518c8152602081018590526001600160a01b038e16917f67e81448d86cfbbf3135a82e52b8eb4eb9863ec9130b05e836045e45df94d788910160405180910390a25b84831015610865576007805460ff19166001908117909155600680545f9061080a90849061116a565b90915550506001600160a01b038c167f9a8ffac28ab8409cf23919982224c251b36b3e358ba30c93381469a5b8d9a7558c85610846818a611157565b6040805193845260208401929092529082015260600160405180910390a25b821561089f5761089f6001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000168d85610acf565b505050505050505050505050565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146108f55760405162461bcd60e51b815260040161034e906110ec565b60088190556109247f00000000000000000000000000000000000000000000000000000000000000004261116a565b60098190556040805183815260208101929092527f80635c0c9758379177eed81aef3c2639ffdfcc663bc1ecae2359cc463dd31c76910160405180910390a150565b5f6060805f5f5f6060610977610b7c565b61097f610ba7565b604080515f80825260208201909252600f60f81b9b939a50919850469750309650945092509050565b6001600160a01b0381165f9081526002602090815260408083205460039092528220546105289190611157565b6040516370a0823160e01b81523060048201525f907f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316906370a0823190602401602060405180830381865afa158015610a39573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610a5d919061117d565b905090565b610a976001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016333084610bd2565b60405181815233907f2da466a7b24304f47e87fa2e1e5a81b9831ce54fec19055ce277ca2f39ba42c49060200160405180910390a250565b610adc8383836001610c0e565b610b0457604051635274afe760e01b81526001600160a01b038416600482015260240161034e565b505050565b5f610528610b15610c70565b8360405161190160f01b8152600281019290925260228201526042902090565b5f80806041849003610b69578435602086013560408701355f1a610b5b89828585610d99565b955095509550505050610b73565b505f915060029050825b93509350939050565b6060610a5d7f0000000000000000000000000000000000000000000000000000000000000000610e61565b6060610a5d7f0000000000000000000000000000000000000000000000000000000000000000610e61565b610be0848484846001610e9e565b610c0857604051635274afe760e01b81526001600160a01b038516600482015260240161034e565b50505050565b60405163a9059cbb60e01b5f8181526001600160a01b038616600452602485905291602083604481808b5af1925060015f51148316610c64578383151615610c58573d5f823e3d81fd5b5f873b113d1516831692505b60405250949350505050565b5f306001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016148015610cc857507f000000000000000000000000000000000000000000000000000000000000000046145b15610cf257507f000000000000000000000000000000000000000000000000000000000000000090565b610a5d604080517f8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f60208201527f0000000000000000000000000000000000000000000000000000000000000000918101919091527f000000000000000000000000000000000000000000000000000000000000000060608201524660808201523060a08201525f9060c00160405160208183030381529060405280519060200120905090565b5f80807f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0841115610dd257505f91506003905082610e57565b604080515f808252602082018084528a905260ff891692820192909252606081018790526080810186905260019060a0016020604051602081039080840390855afa158015610e23573d5f5f3e3d5ffd5b5050604051601f1901519150506001600160a01b038116610e4e57505f925060019150829050610e57565b92505f91508190505b9450945094915050565b60605f610e6d83610f0b565b6040805160208082528183019092529192505f91906020820181803683375050509182525060208101929092525090565b6040516323b872dd60e01b5f8181526001600160a01b038781166004528616602452604485905291602083606481808c5af1925060015f51148316610efa578383151615610eee573d5f823e3d81fd5b5f883b113d1516831692505b604052505f60605295945050505050565b5f60ff8216601f81111561052857604051632cd44ac360e21b815260040160405180910390fd5b80356001600160a01b0381168114610f48575f5ffd5b919050565b5f5f60408385031215610f5e575f5ffd5b610f6783610f32565b946020939093013593505050565b5f5f5f5f60608587031215610f88575f5ffd5b610f9185610f32565b935060208501359250604085013567ffffffffffffffff811115610fb3575f5ffd5b8501601f81018713610fc3575f5ffd5b803567ffffffffffffffff811115610fd9575f5ffd5b876020828401011115610fea575f5ffd5b949793965060200194505050565b5f60208284031215611008575f5ffd5b5035919050565b5f6020828403121561101f575f5ffd5b61052582610f32565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b60ff60f81b8816815260e060208201525f61107460e0830189611028565b82810360408401526110868189611028565b606084018890526001600160a01b038716608085015260a0840186905283810360c0850152845180825260208087019350909101905f5b818110156110db5783518352602093840193909201916001016110bd565b50909b9a5050505050505050505050565b60208082526023908201527f436865636b626f6f6b3a2063616c6c6572206973206e6f7420746865206973736040820152623ab2b960e91b606082015260800190565b634e487b7160e01b5f52602160045260245ffd5b634e487b7160e01b5f52601160045260245ffd5b8181038181111561052857610528611143565b8082018082111561052857610528611143565b5f6020828403121561118d575f5ffd5b505191905056fea264697066735822122073df1ddbd3bb3b6d03e6f156f5c3cf1be7eb37ddd7a87ba551b72cd6ef1bcffe64736f6c63430008250033a26469706673582212203ea52f13514611eb9f4318359ab03fff9271b0be499a530611771fb4770ce80064736f6c63430008250033",
}

// CheckbookFactoryABI is the input ABI used to generate the binding from.
// Deprecated: Use CheckbookFactoryMetaData.ABI instead.
var CheckbookFactoryABI = CheckbookFactoryMetaData.ABI

// CheckbookFactoryBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use CheckbookFactoryMetaData.Bin instead.
var CheckbookFactoryBin = CheckbookFactoryMetaData.Bin

// DeployCheckbookFactory deploys a new Ethereum contract, binding an instance of CheckbookFactory to it.
func DeployCheckbookFactory(auth *bind.TransactOpts, backend bind.ContractBackend, token_ common.Address) (common.Address, *types.Transaction, *CheckbookFactory, error) {
	parsed, err := CheckbookFactoryMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(CheckbookFactoryBin), backend, token_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &CheckbookFactory{CheckbookFactoryCaller: CheckbookFactoryCaller{contract: contract}, CheckbookFactoryTransactor: CheckbookFactoryTransactor{contract: contract}, CheckbookFactoryFilterer: CheckbookFactoryFilterer{contract: contract}}, nil
}

// CheckbookFactory is an auto generated Go binding around an Ethereum contract.
type CheckbookFactory struct {
	CheckbookFactoryCaller     // Read-only binding to the contract
	CheckbookFactoryTransactor // Write-only binding to the contract
	CheckbookFactoryFilterer   // Log filterer for contract events
}

// CheckbookFactoryCaller is an auto generated read-only Go binding around an Ethereum contract.
type CheckbookFactoryCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CheckbookFactoryTransactor is an auto generated write-only Go binding around an Ethereum contract.
type CheckbookFactoryTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CheckbookFactoryFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type CheckbookFactoryFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CheckbookFactorySession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type CheckbookFactorySession struct {
	Contract     *CheckbookFactory // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// CheckbookFactoryCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type CheckbookFactoryCallerSession struct {
	Contract *CheckbookFactoryCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts           // Call options to use throughout this session
}

// CheckbookFactoryTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type CheckbookFactoryTransactorSession struct {
	Contract     *CheckbookFactoryTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts           // Transaction auth options to use throughout this session
}

// CheckbookFactoryRaw is an auto generated low-level Go binding around an Ethereum contract.
type CheckbookFactoryRaw struct {
	Contract *CheckbookFactory // Generic contract binding to access the raw methods on
}

// CheckbookFactoryCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type CheckbookFactoryCallerRaw struct {
	Contract *CheckbookFactoryCaller // Generic read-only contract binding to access the raw methods on
}

// CheckbookFactoryTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type CheckbookFactoryTransactorRaw struct {
	Contract *CheckbookFactoryTransactor // Generic write-only contract binding to access the raw methods on
}

// NewCheckbookFactory creates a new instance of CheckbookFactory, bound to a specific deployed contract.
func NewCheckbookFactory(address common.Address, backend bind.ContractBackend) (*CheckbookFactory, error) {
	contract, err := bindCheckbookFactory(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactory{CheckbookFactoryCaller: CheckbookFactoryCaller{contract: contract}, CheckbookFactoryTransactor: CheckbookFactoryTransactor{contract: contract}, CheckbookFactoryFilterer: CheckbookFactoryFilterer{contract: contract}}, nil
}

// NewCheckbookFactoryCaller creates a new read-only instance of CheckbookFactory, bound to a specific deployed contract.
func NewCheckbookFactoryCaller(address common.Address, caller bind.ContractCaller) (*CheckbookFactoryCaller, error) {
	contract, err := bindCheckbookFactory(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactoryCaller{contract: contract}, nil
}

// NewCheckbookFactoryTransactor creates a new write-only instance of CheckbookFactory, bound to a specific deployed contract.
func NewCheckbookFactoryTransactor(address common.Address, transactor bind.ContractTransactor) (*CheckbookFactoryTransactor, error) {
	contract, err := bindCheckbookFactory(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactoryTransactor{contract: contract}, nil
}

// NewCheckbookFactoryFilterer creates a new log filterer instance of CheckbookFactory, bound to a specific deployed contract.
func NewCheckbookFactoryFilterer(address common.Address, filterer bind.ContractFilterer) (*CheckbookFactoryFilterer, error) {
	contract, err := bindCheckbookFactory(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactoryFilterer{contract: contract}, nil
}

// bindCheckbookFactory binds a generic wrapper to an already deployed contract.
func bindCheckbookFactory(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := CheckbookFactoryMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_CheckbookFactory *CheckbookFactoryRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _CheckbookFactory.Contract.CheckbookFactoryCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_CheckbookFactory *CheckbookFactoryRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.CheckbookFactoryTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_CheckbookFactory *CheckbookFactoryRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.CheckbookFactoryTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_CheckbookFactory *CheckbookFactoryCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _CheckbookFactory.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_CheckbookFactory *CheckbookFactoryTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_CheckbookFactory *CheckbookFactoryTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.contract.Transact(opts, method, params...)
}

// CheckbookOf is a free data retrieval call binding the contract method 0x82ed1e5b.
//
// Solidity: function checkbookOf(address ) view returns(address)
func (_CheckbookFactory *CheckbookFactoryCaller) CheckbookOf(opts *bind.CallOpts, arg0 common.Address) (common.Address, error) {
	var out []interface{}
	err := _CheckbookFactory.contract.Call(opts, &out, "checkbookOf", arg0)

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// CheckbookOf is a free data retrieval call binding the contract method 0x82ed1e5b.
//
// Solidity: function checkbookOf(address ) view returns(address)
func (_CheckbookFactory *CheckbookFactorySession) CheckbookOf(arg0 common.Address) (common.Address, error) {
	return _CheckbookFactory.Contract.CheckbookOf(&_CheckbookFactory.CallOpts, arg0)
}

// CheckbookOf is a free data retrieval call binding the contract method 0x82ed1e5b.
//
// Solidity: function checkbookOf(address ) view returns(address)
func (_CheckbookFactory *CheckbookFactoryCallerSession) CheckbookOf(arg0 common.Address) (common.Address, error) {
	return _CheckbookFactory.Contract.CheckbookOf(&_CheckbookFactory.CallOpts, arg0)
}

// DeployedBy is a free data retrieval call binding the contract method 0x67d95cc2.
//
// Solidity: function deployedBy(address ) view returns(bool)
func (_CheckbookFactory *CheckbookFactoryCaller) DeployedBy(opts *bind.CallOpts, arg0 common.Address) (bool, error) {
	var out []interface{}
	err := _CheckbookFactory.contract.Call(opts, &out, "deployedBy", arg0)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// DeployedBy is a free data retrieval call binding the contract method 0x67d95cc2.
//
// Solidity: function deployedBy(address ) view returns(bool)
func (_CheckbookFactory *CheckbookFactorySession) DeployedBy(arg0 common.Address) (bool, error) {
	return _CheckbookFactory.Contract.DeployedBy(&_CheckbookFactory.CallOpts, arg0)
}

// DeployedBy is a free data retrieval call binding the contract method 0x67d95cc2.
//
// Solidity: function deployedBy(address ) view returns(bool)
func (_CheckbookFactory *CheckbookFactoryCallerSession) DeployedBy(arg0 common.Address) (bool, error) {
	return _CheckbookFactory.Contract.DeployedBy(&_CheckbookFactory.CallOpts, arg0)
}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_CheckbookFactory *CheckbookFactoryCaller) Token(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _CheckbookFactory.contract.Call(opts, &out, "token")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_CheckbookFactory *CheckbookFactorySession) Token() (common.Address, error) {
	return _CheckbookFactory.Contract.Token(&_CheckbookFactory.CallOpts)
}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_CheckbookFactory *CheckbookFactoryCallerSession) Token() (common.Address, error) {
	return _CheckbookFactory.Contract.Token(&_CheckbookFactory.CallOpts)
}

// Deploy is a paid mutator transaction binding the contract method 0x4956eaf0.
//
// Solidity: function deploy(address issuer, uint256 noticePeriod) returns(address)
func (_CheckbookFactory *CheckbookFactoryTransactor) Deploy(opts *bind.TransactOpts, issuer common.Address, noticePeriod *big.Int) (*types.Transaction, error) {
	return _CheckbookFactory.contract.Transact(opts, "deploy", issuer, noticePeriod)
}

// Deploy is a paid mutator transaction binding the contract method 0x4956eaf0.
//
// Solidity: function deploy(address issuer, uint256 noticePeriod) returns(address)
func (_CheckbookFactory *CheckbookFactorySession) Deploy(issuer common.Address, noticePeriod *big.Int) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.Deploy(&_CheckbookFactory.TransactOpts, issuer, noticePeriod)
}

// Deploy is a paid mutator transaction binding the contract method 0x4956eaf0.
//
// Solidity: function deploy(address issuer, uint256 noticePeriod) returns(address)
func (_CheckbookFactory *CheckbookFactoryTransactorSession) Deploy(issuer common.Address, noticePeriod *big.Int) (*types.Transaction, error) {
	return _CheckbookFactory.Contract.Deploy(&_CheckbookFactory.TransactOpts, issuer, noticePeriod)
}

// CheckbookFactoryCheckbookDeployedIterator is returned from FilterCheckbookDeployed and is used to iterate over the raw logs and unpacked data for CheckbookDeployed events raised by the CheckbookFactory contract.
type CheckbookFactoryCheckbookDeployedIterator struct {
	Event *CheckbookFactoryCheckbookDeployed // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *CheckbookFactoryCheckbookDeployedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(CheckbookFactoryCheckbookDeployed)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(CheckbookFactoryCheckbookDeployed)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *CheckbookFactoryCheckbookDeployedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *CheckbookFactoryCheckbookDeployedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// CheckbookFactoryCheckbookDeployed represents a CheckbookDeployed event raised by the CheckbookFactory contract.
type CheckbookFactoryCheckbookDeployed struct {
	Issuer    common.Address
	Checkbook common.Address
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterCheckbookDeployed is a free log retrieval operation binding the contract event 0x9c12802d0b29c8f8462f7f844c57405514f5b8046d62d0576108205aefb36459.
//
// Solidity: event CheckbookDeployed(address indexed issuer, address checkbook)
func (_CheckbookFactory *CheckbookFactoryFilterer) FilterCheckbookDeployed(opts *bind.FilterOpts, issuer []common.Address) (*CheckbookFactoryCheckbookDeployedIterator, error) {

	var issuerRule []interface{}
	for _, issuerItem := range issuer {
		issuerRule = append(issuerRule, issuerItem)
	}

	logs, sub, err := _CheckbookFactory.contract.FilterLogs(opts, "CheckbookDeployed", issuerRule)
	if err != nil {
		return nil, err
	}
	return &CheckbookFactoryCheckbookDeployedIterator{contract: _CheckbookFactory.contract, event: "CheckbookDeployed", logs: logs, sub: sub}, nil
}

// WatchCheckbookDeployed is a free log subscription operation binding the contract event 0x9c12802d0b29c8f8462f7f844c57405514f5b8046d62d0576108205aefb36459.
//
// Solidity: event CheckbookDeployed(address indexed issuer, address checkbook)
func (_CheckbookFactory *CheckbookFactoryFilterer) WatchCheckbookDeployed(opts *bind.WatchOpts, sink chan<- *CheckbookFactoryCheckbookDeployed, issuer []common.Address) (event.Subscription, error) {

	var issuerRule []interface{}
	for _, issuerItem := range issuer {
		issuerRule = append(issuerRule, issuerItem)
	}

	logs, sub, err := _CheckbookFactory.contract.WatchLogs(opts, "CheckbookDeployed", issuerRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(CheckbookFactoryCheckbookDeployed)
				if err := _CheckbookFactory.contract.UnpackLog(event, "CheckbookDeployed", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseCheckbookDeployed is a log parse operation binding the contract event 0x9c12802d0b29c8f8462f7f844c57405514f5b8046d62d0576108205aefb36459.
//
// Solidity: event CheckbookDeployed(address indexed issuer, address checkbook)
func (_CheckbookFactory *CheckbookFactoryFilterer) ParseCheckbookDeployed(log types.Log) (*CheckbookFactoryCheckbookDeployed, error) {
	event := new(CheckbookFactoryCheckbookDeployed)
	if err := _CheckbookFactory.contract.UnpackLog(event, "CheckbookDeployed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
