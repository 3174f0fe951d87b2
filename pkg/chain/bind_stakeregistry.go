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

// StakeRegistryMetaData contains all meta data concerning the StakeRegistry contract.
var StakeRegistryMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractIERC20\",\"name\":\"token_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"}],\"name\":\"SafeERC20FailedOperation\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"address\",\"name\":\"court\",\"type\":\"address\"}],\"name\":\"CourtSet\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"Slashed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"provider\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"client\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"service\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"term\",\"type\":\"uint64\"}],\"name\":\"Staked\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"provider\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"Unstaked\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"name\":\"active\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"agreementCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"name\":\"agreements\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"provider\",\"type\":\"address\"},{\"internalType\":\"uint64\",\"name\":\"term\",\"type\":\"uint64\"},{\"internalType\":\"enumStakeRegistry.Status\",\"name\":\"status\",\"type\":\"uint8\"},{\"internalType\":\"bool\",\"name\":\"caseOpen\",\"type\":\"bool\"},{\"internalType\":\"address\",\"name\":\"client\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"service\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"court\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"deployer\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"name\":\"markCaseClosed\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"name\":\"markCaseOpen\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"court_\",\"type\":\"address\"}],\"name\":\"setCourt\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"}],\"name\":\"slash\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"service\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"client\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"term\",\"type\":\"uint64\"}],\"name\":\"stake\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"token\",\"outputs\":[{\"internalType\":\"contractIERC20\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"name\":\"unstake\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	Bin: "0x60c060405234801561000f575f5ffd5b5060405161142438038061142483398101604081905261002e9161009d565b6001600160a01b0381166100885760405162461bcd60e51b815260206004820152601960248201527f5374616b6552656769737472793a207a65726f20746f6b656e00000000000000604482015260640160405180910390fd5b6001600160a01b03166080523360a0526100ca565b5f602082840312156100ad575f5ffd5b81516001600160a01b03811681146100c3575f5ffd5b9392505050565b60805160a05161130f6101155f395f818161021401526108c801525f818161023b015281816104d90152818161069201528181610c6801528181610d500152610fa0015261130f5ff3fe608060405234801561000f575f5ffd5b50600436106100b0575f3560e01c8063abf15bb31161006e578063abf15bb314610154578063b71e680014610167578063bb7bb27814610188578063bd14de9614610191578063d5f394881461020f578063fc0c546a14610236575f5ffd5b8062971a30146100b45780632e17de78146100e35780633d82e3c1146100f857806344f2465c1461010b5780638033d5811461011e57806394dbc56014610141575b5f5ffd5b5f546100c6906001600160a01b031681565b6040516001600160a01b0390911681526020015b60405180910390f35b6100f66100f1366004611110565b61025d565b005b6100f6610106366004611142565b610507565b6100f6610119366004611110565b6106bf565b61013161012c366004611110565b610798565b60405190151581526020016100da565b6100f661014f366004611110565b6107fe565b6100f661016236600461116c565b6108bd565b61017a610175366004611185565b610a48565b6040519081526020016100da565b61017a60015481565b6101fc61019f366004611110565b600260208190525f918252604090912080546001820154928201546003909201546001600160a01b038083169467ffffffffffffffff600160a01b8504169460ff600160e01b8604811695600160e81b9004169391909216919087565b6040516100da97969594939291906111ea565b6100c67f000000000000000000000000000000000000000000000000000000000000000081565b6100c67f000000000000000000000000000000000000000000000000000000000000000081565b5f818152600260205260408120908154600160e01b900460ff166003811115610288576102886111d6565b036102da5760405162461bcd60e51b815260206004820181905260248201527f5374616b6552656769737472793a20756e6b6e6f776e2061677265656d656e7460448201526064015b60405180910390fd5b60018154600160e01b900460ff1660038111156102f9576102f96111d6565b146103465760405162461bcd60e51b815260206004820152601960248201527f5374616b6552656769737472793a206e6f74207374616b65640000000000000060448201526064016102d1565b80546001600160a01b031633146103b15760405162461bcd60e51b815260206004820152602960248201527f5374616b6552656769737472793a2063616c6c6572206973206e6f742074686560448201526810383937bb34b232b960b91b60648201526084016102d1565b8054600160e81b900460ff161561040a5760405162461bcd60e51b815260206004820152601860248201527f5374616b6552656769737472793a206f70656e2063617365000000000000000060448201526064016102d1565b8054600160a01b900467ffffffffffffffff1642101561046c5760405162461bcd60e51b815260206004820152601c60248201527f5374616b6552656769737472793a207465726d206e6f74206f7665720000000060448201526064016102d1565b8054600160e11b60ff60e01b19821617825560038201546040519081526001600160a01b039091169083907f37375b03d8924bd8f076f11f8411b9962aa5c02fb489021507bc6bb6f850e3659060200160405180910390a380546003820154610503916001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000811692911690610fd0565b5050565b5f546001600160a01b03163314801561052957505f546001600160a01b031615155b6105455760405162461bcd60e51b81526004016102d190611258565b5f82815260026020526040902060018154600160e01b900460ff166003811115610571576105716111d6565b14801561058657508054600160e81b900460ff165b6105d25760405162461bcd60e51b815260206004820152601b60248201527f5374616b6552656769737472793a206e6f206f70656e2063617365000000000060448201526064016102d1565b6001600160a01b0382166106285760405162461bcd60e51b815260206004820152601d60248201527f5374616b6552656769737472793a207a65726f20726563697069656e7400000060448201526064016102d1565b805461ffff60e01b1916600360e01b17815560038101546040519081526001600160a01b0383169084907f0ebf205de0d16b8c4e99b7cd8c52f0e40c86547ecda94f93c3fcf75fd04084639060200160405180910390a360038101546106ba906001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016908490610fd0565b505050565b5f546001600160a01b0316331480156106e157505f546001600160a01b031615155b6106fd5760405162461bcd60e51b81526004016102d190611258565b5f81815260026020526040902060018154600160e01b900460ff166003811115610729576107296111d6565b14801561073e57508054600160e81b900460ff165b61078a5760405162461bcd60e51b815260206004820152601b60248201527f5374616b6552656769737472793a206e6f206f70656e2063617365000000000060448201526064016102d1565b805460ff60e81b1916905550565b5f81815260026020526040812060018154600160e01b900460ff1660038111156107c4576107c46111d6565b1480156107e257508054600160a01b900467ffffffffffffffff1642105b80156107f757508054600160e81b900460ff16155b9392505050565b5f546001600160a01b03163314801561082057505f546001600160a01b031615155b61083c5760405162461bcd60e51b81526004016102d190611258565b61084581610798565b61089d5760405162461bcd60e51b815260206004820152602360248201527f5374616b6552656769737472793a2061677265656d656e74206e6f742061637460448201526269766560e81b60648201526084016102d1565b5f908152600260205260409020805460ff60e81b1916600160e81b179055565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146109475760405162461bcd60e51b815260206004820152602960248201527f5374616b6552656769737472793a2063616c6c6572206973206e6f7420746865604482015268103232b83637bcb2b960b91b60648201526084016102d1565b5f546001600160a01b03161561099f5760405162461bcd60e51b815260206004820181905260248201527f5374616b6552656769737472793a20636f75727420616c72656164792073657460448201526064016102d1565b6001600160a01b0381166109f55760405162461bcd60e51b815260206004820152601960248201527f5374616b6552656769737472793a207a65726f20636f7572740000000000000060448201526064016102d1565b5f80546001600160a01b0319166001600160a01b0383169081179091556040519081527f1f718efa4efa61072ae86507aa2a33568fdb2fe31cf2ebe4f3787415e404fea69060200160405180910390a150565b5f80546001600160a01b0316610aa05760405162461bcd60e51b815260206004820152601760248201527f5374616b6552656769737472793a206e6f20636f75727400000000000000000060448201526064016102d1565b84610aed5760405162461bcd60e51b815260206004820152601c60248201527f5374616b6552656769737472793a20656d70747920736572766963650000000060448201526064016102d1565b6001600160a01b038416610b435760405162461bcd60e51b815260206004820152601a60248201527f5374616b6552656769737472793a207a65726f20636c69656e7400000000000060448201526064016102d1565b336001600160a01b03851603610ba95760405162461bcd60e51b815260206004820152602560248201527f5374616b6552656769737472793a2070726f76696465722069732074686520636044820152641b1a595b9d60da1b60648201526084016102d1565b5f8311610bf85760405162461bcd60e51b815260206004820152601a60248201527f5374616b6552656769737472793a207a65726f20616d6f756e7400000000000060448201526064016102d1565b428267ffffffffffffffff1611610c515760405162461bcd60e51b815260206004820181905260248201527f5374616b6552656769737472793a207465726d20616c7265616479206f76657260448201526064016102d1565b6040516370a0823160e01b815233600482015283907f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316906370a0823190602401602060405180830381865afa158015610cb5573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610cd9919061129e565b1015610d335760405162461bcd60e51b815260206004820152602360248201527f5374616b6552656769737472793a20616d6f756e742061626f76652062616c616044820152626e636560e81b60648201526084016102d1565b604051636eb1769f60e11b815233600482015230602482015283907f00000000000000000000000000000000000000000000000000000000000000006001600160a01b03169063dd62ed3e90604401602060405180830381865afa158015610d9d573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610dc1919061129e565b1015610e1d5760405162461bcd60e51b815260206004820152602560248201527f5374616b6552656769737472793a20616d6f756e742061626f766520616c6c6f60448201526477616e636560d81b60648201526084016102d1565b60015f8154610e2b906112b5565b91829055506040805160e08101825233815267ffffffffffffffff851660208201529192508101600181525f60208083018290526001600160a01b03808916604080860191909152606085018b905260809094018890528583526002825291839020845181549286015167ffffffffffffffff16600160a01b026001600160e01b031990931693169290921717808255918301519091829060ff60e01b1916600160e01b836003811115610ee157610ee16111d6565b0217905550606082810151825460ff60e81b1916600160e81b9115159190910217825560808301516001830180546001600160a01b0319166001600160a01b0392831617905560a0840151600284015560c090930151600390920191909155604080518881526020810187905267ffffffffffffffff86169181019190915291861691339184917fa4aa0efd01c0bf57b1a384d903c0488225570603ef9b102f1f4151c98c369170910160405180910390a4610fc86001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016333086611005565b949350505050565b610fdd8383836001611041565b6106ba57604051635274afe760e01b81526001600160a01b03841660048201526024016102d1565b6110138484848460016110a3565b61103b57604051635274afe760e01b81526001600160a01b03851660048201526024016102d1565b50505050565b60405163a9059cbb60e01b5f8181526001600160a01b038616600452602485905291602083604481808b5af1925060015f5114831661109757838315161561108b573d5f823e3d81fd5b5f873b113d1516831692505b60405250949350505050565b6040516323b872dd60e01b5f8181526001600160a01b038781166004528616602452604485905291602083606481808c5af1925060015f511483166110ff5783831516156110f3573d5f823e3d81fd5b5f883b113d1516831692505b604052505f60605295945050505050565b5f60208284031215611120575f5ffd5b5035919050565b80356001600160a01b038116811461113d575f5ffd5b919050565b5f5f60408385031215611153575f5ffd5b8235915061116360208401611127565b90509250929050565b5f6020828403121561117c575f5ffd5b6107f782611127565b5f5f5f5f60808587031215611198575f5ffd5b843593506111a860208601611127565b925060408501359150606085013567ffffffffffffffff811681146111cb575f5ffd5b939692955090935050565b634e487b7160e01b5f52602160045260245ffd5b6001600160a01b038816815267ffffffffffffffff8716602082015260e081016004871061122657634e487b7160e01b5f52602160045260245ffd5b604082019690965293151560608501526001600160a01b0392909216608084015260a083015260c09091015292915050565b60208082526026908201527f5374616b6552656769737472793a2063616c6c6572206973206e6f74207468656040820152650818dbdd5c9d60d21b606082015260800190565b5f602082840312156112ae575f5ffd5b5051919050565b5f600182016112d257634e487b7160e01b5f52601160045260245ffd5b506001019056fea264697066735822122097df6d13793394bc25a9f27573a3651333d06715d31956c28f335da99e28b77f64736f6c63430008250033",
}

// StakeRegistryABI is the input ABI used to generate the binding from.
// Deprecated: Use StakeRegistryMetaData.ABI instead.
var StakeRegistryABI = StakeRegistryMetaData.ABI

// StakeRegistryBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use StakeRegistryMetaData.Bin instead.
var StakeRegistryBin = StakeRegistryMetaData.Bin

// DeployStakeRegistry deploys a new Ethereum contract, binding an instance of StakeRegistry to it.
func DeployStakeRegistry(auth *bind.TransactOpts, backend bind.ContractBackend, token_ common.Address) (common.Address, *types.Transaction, *StakeRegistry, error) {
	parsed, err := StakeRegistryMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(StakeRegistryBin), backend, token_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &StakeRegistry{StakeRegistryCaller: StakeRegistryCaller{contract: contract}, StakeRegistryTransactor: StakeRegistryTransactor{contract: contract}, StakeRegistryFilterer: StakeRegistryFilterer{contract: contract}}, nil
}

// StakeRegistry is an auto generated Go binding around an Ethereum contract.
type StakeRegistry struct {
	StakeRegistryCaller     // Read-only binding to the contract
	StakeRegistryTransactor // Write-only binding to the contract
	StakeRegistryFilterer   // Log filterer for contract events
}

// StakeRegistryCaller is an auto generated read-only Go binding around an Ethereum contract.
type StakeRegistryCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// StakeRegistryTransactor is an auto generated write-only Go binding around an Ethereum contract.
type StakeRegistryTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// StakeRegistryFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type StakeRegistryFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// StakeRegistrySession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type StakeRegistrySession struct {
	Contract     *StakeRegistry    // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// StakeRegistryCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type StakeRegistryCallerSession struct {
	Contract *StakeRegistryCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts        // Call options to use throughout this session
}

// StakeRegistryTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type StakeRegistryTransactorSession struct {
	Contract     *StakeRegistryTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts        // Transaction auth options to use throughout this session
}

// StakeRegistryRaw is an auto generated low-level Go binding around an Ethereum contract.
type StakeRegistryRaw struct {
	Contract *StakeRegistry // Generic contract binding to access the raw methods on
}

// StakeRegistryCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type StakeRegistryCallerRaw struct {
	Contract *StakeRegistryCaller // Generic read-only contract binding to access the raw methods on
}

// StakeRegistryTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type StakeRegistryTransactorRaw struct {
	Contract *StakeRegistryTransactor // Generic write-only contract binding to access the raw methods on
}

// NewStakeRegistry creates a new instance of StakeRegistry, bound to a specific deployed contract.
func NewStakeRegistry(address common.Address, backend bind.ContractBackend) (*StakeRegistry, error) {
	contract, err := bindStakeRegistry(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &StakeRegistry{StakeRegistryCaller: StakeRegistryCaller{contract: contract}, StakeRegistryTransactor: StakeRegistryTransactor{contract: contract}, StakeRegistryFilterer: StakeRegistryFilterer{contract: contract}}, nil
}

// NewStakeRegistryCaller creates a new read-only instance of StakeRegistry, bound to a specific deployed contract.
func NewStakeRegistryCaller(address common.Address, caller bind.ContractCaller) (*StakeRegistryCaller, error) {
	contract, err := bindStakeRegistry(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &StakeRegistryCaller{contract: contract}, nil
}

// NewStakeRegistryTransactor creates a new write-only instance of StakeRegistry, bound to a specific deployed contract.
func NewStakeRegistryTransactor(address common.Address, transactor bind.ContractTransactor) (*StakeRegistryTransactor, error) {
	contract, err := bindStakeRegistry(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &StakeRegistryTransactor{contract: contract}, nil
}

// NewStakeRegistryFilterer creates a new log filterer instance of StakeRegistry, bound to a specific deployed contract.
func NewStakeRegistryFilterer(address common.Address, filterer bind.ContractFilterer) (*StakeRegistryFilterer, error) {
	contract, err := bindStakeRegistry(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &StakeRegistryFilterer{contract: contract}, nil
}

// bindStakeRegistry binds a generic wrapper to an already deployed contract.
func bindStakeRegistry(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := StakeRegistryMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_StakeRegistry *StakeRegistryRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _StakeRegistry.Contract.StakeRegistryCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_StakeRegistry *StakeRegistryRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _StakeRegistry.Contract.StakeRegistryTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_StakeRegistry *StakeRegistryRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _StakeRegistry.Contract.StakeRegistryTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_StakeRegistry *StakeRegistryCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _StakeRegistry.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_StakeRegistry *StakeRegistryTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _StakeRegistry.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_StakeRegistry *StakeRegistryTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _StakeRegistry.Contract.contract.Transact(opts, method, params...)
}

// Active is a free data retrieval call binding the contract method 0x8033d581.
//
// Solidity: function active(uint256 id) view returns(bool)
func (_StakeRegistry *StakeRegistryCaller) Active(opts *bind.CallOpts, id *big.Int) (bool, error) {
	var out []interface{}
	err := _StakeRegistry.contract.Call(opts, &out, "active", id)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// Active is a free data retrieval call binding the contract method 0x8033d581.
//
// Solidity: function active(uint256 id) view returns(bool)
func (_StakeRegistry *StakeRegistrySession) Active(id *big.Int) (bool, error) {
	return _StakeRegistry.Contract.Active(&_StakeRegistry.CallOpts, id)
}

// Active is a free data retrieval call binding the contract method 0x8033d581.
//
// Solidity: function active(uint256 id) view returns(bool)
func (_StakeRegistry *StakeRegistryCallerSession) Active(id *big.Int) (bool, error) {
	return _StakeRegistry.Contract.Active(&_StakeRegistry.CallOpts, id)
}

// AgreementCount is a free data retrieval call binding the contract method 0xbb7bb278.
//
// Solidity: function agreementCount() view returns(uint256)
func (_StakeRegistry *StakeRegistryCaller) AgreementCount(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _StakeRegistry.contract.Call(opts, &out, "agreementCount")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// AgreementCount is a free data retrieval call binding the contract method 0xbb7bb278.
//
// Solidity: function agreementCount() view returns(uint256)
func (_StakeRegistry *StakeRegistrySession) AgreementCount() (*big.Int, error) {
	return _StakeRegistry.Contract.AgreementCount(&_StakeRegistry.CallOpts)
}

// AgreementCount is a free data retrieval call binding the contract method 0xbb7bb278.
//
// Solidity: function agreementCount() view returns(uint256)
func (_StakeRegistry *StakeRegistryCallerSession) AgreementCount() (*big.Int, error) {
	return _StakeRegistry.Contract.AgreementCount(&_StakeRegistry.CallOpts)
}

// Agreements is a free data retrieval call binding the contract method 0xbd14de96.
//
// Solidity: function agreements(uint256 ) view returns(address provider, uint64 term, uint8 status, bool caseOpen, address client, bytes32 service, uint256 amount)
func (_StakeRegistry *StakeRegistryCaller) Agreements(opts *bind.CallOpts, arg0 *big.Int) (struct {
	Provider common.Address
	Term     uint64
	Status   uint8
	CaseOpen bool
	Client   common.Address
	Service  [32]byte
	Amount   *big.Int
}, error) {
	var out []interface{}
	err := _StakeRegistry.contract.Call(opts, &out, "agreements", arg0)

	outstruct := new(struct {
		Provider common.Address
		Term     uint64
		Status   uint8
		CaseOpen bool
		Client   common.Address
		Service  [32]byte
		Amount   *big.Int
	})
	if err != nil {
		return *outstruct, err
	}

	outstruct.Provider = *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	outstruct.Term = *abi.ConvertType(out[1], new(uint64)).(*uint64)
	outstruct.Status = *abi.ConvertType(out[2], new(uint8)).(*uint8)
	outstruct.CaseOpen = *abi.ConvertType(out[3], new(bool)).(*bool)
	outstruct.Client = *abi.ConvertType(out[4], new(common.Address)).(*common.Address)
	outstruct.Service = *abi.ConvertType(out[5], new([32]byte)).(*[32]byte)
	outstruct.Amount = *abi.ConvertType(out[6], new(*big.Int)).(**big.Int)

	return *outstruct, err

}

// Agreements is a free data retrieval call binding the contract method 0xbd14de96.
//
// Solidity: function agreements(uint256 ) view returns(address provider, uint64 term, uint8 status, bool caseOpen, address client, bytes32 service, uint256 amount)
func (_StakeRegistry *StakeRegistrySession) Agreements(arg0 *big.Int) (struct {
	Provider common.Address
	Term     uint64
	Status   uint8
	CaseOpen bool
	Client   common.Address
	Service  [32]byte
	Amount   *big.Int
}, error) {
	return _StakeRegistry.Contract.Agreements(&_StakeRegistry.CallOpts, arg0)
}

// Agreements is a free data retrieval call binding the contract method 0xbd14de96.
//
// Solidity: function agreements(uint256 ) view returns(address provider, uint64 term, uint8 status, bool caseOpen, address client, bytes32 service, uint256 amount)
func (_StakeRegistry *StakeRegistryCallerSession) Agreements(arg0 *big.Int) (struct {
	Provider common.Address
	Term     uint64
	Status   uint8
	CaseOpen bool
	Client   common.Address
	Service  [32]byte
	Amount   *big.Int
}, error) {
	return _StakeRegistry.Contract.Agreements(&_StakeRegistry.CallOpts, arg0)
}

// Court is a free data retrieval call binding the contract method 0x00971a30.
//
// Solidity: function court() view returns(address)
func (_StakeRegistry *StakeRegistryCaller) Court(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _StakeRegistry.contract.Call(opts, &out, "court")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Court is a free data retrieval call binding the contract method 0x00971a30.
//
// Solidity: function court() view returns(address)
func (_StakeRegistry *StakeRegistrySession) Court() (common.Address, error) {
	return _StakeRegistry.Contract.Court(&_StakeRegistry.CallOpts)
}

// Court is a free data retrieval call binding the contract method 0x00971a30.
//
// Solidity: function court() view returns(address)
func (_StakeRegistry *StakeRegistryCallerSession) Court() (common.Address, error) {
	return _StakeRegistry.Contract.Court(&_StakeRegistry.CallOpts)
}

// Deployer is a free data retrieval call binding the contract method 0xd5f39488.
//
// Solidity: function deployer() view returns(address)
func (_StakeRegistry *StakeRegistryCaller) Deployer(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _StakeRegistry.contract.Call(opts, &out, "deployer")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Deployer is a free data retrieval call binding the contract method 0xd5f39488.
//
// Solidity: function deployer() view returns(address)
func (_StakeRegistry *StakeRegistrySession) Deployer() (common.Address, error) {
	return _StakeRegistry.Contract.Deployer(&_StakeRegistry.CallOpts)
}

// Deployer is a free data retrieval call binding the contract method 0xd5f39488.
//
// Solidity: function deployer() view returns(address)
func (_StakeRegistry *StakeRegistryCallerSession) Deployer() (common.Address, error) {
	return _StakeRegistry.Contract.Deployer(&_StakeRegistry.CallOpts)
}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_StakeRegistry *StakeRegistryCaller) Token(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _StakeRegistry.contract.Call(opts, &out, "token")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_StakeRegistry *StakeRegistrySession) Token() (common.Address, error) {
	return _StakeRegistry.Contract.Token(&_StakeRegistry.CallOpts)
}

// Token is a free data retrieval call binding the contract method 0xfc0c546a.
//
// Solidity: function token() view returns(address)
func (_StakeRegistry *StakeRegistryCallerSession) Token() (common.Address, error) {
	return _StakeRegistry.Contract.Token(&_StakeRegistry.CallOpts)
}

// MarkCaseClosed is a paid mutator transaction binding the contract method 0x44f2465c.
//
// Solidity: function markCaseClosed(uint256 id) returns()
func (_StakeRegistry *StakeRegistryTransactor) MarkCaseClosed(opts *bind.TransactOpts, id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.contract.Transact(opts, "markCaseClosed", id)
}

// MarkCaseClosed is a paid mutator transaction binding the contract method 0x44f2465c.
//
// Solidity: function markCaseClosed(uint256 id) returns()
func (_StakeRegistry *StakeRegistrySession) MarkCaseClosed(id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.Contract.MarkCaseClosed(&_StakeRegistry.TransactOpts, id)
}

// MarkCaseClosed is a paid mutator transaction binding the contract method 0x44f2465c.
//
// Solidity: function markCaseClosed(uint256 id) returns()
func (_StakeRegistry *StakeRegistryTransactorSession) MarkCaseClosed(id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.Contract.MarkCaseClosed(&_StakeRegistry.TransactOpts, id)
}

// MarkCaseOpen is a paid mutator transaction binding the contract method 0x94dbc560.
//
// Solidity: function markCaseOpen(uint256 id) returns()
func (_StakeRegistry *StakeRegistryTransactor) MarkCaseOpen(opts *bind.TransactOpts, id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.contract.Transact(opts, "markCaseOpen", id)
}

// MarkCaseOpen is a paid mutator transaction binding the contract method 0x94dbc560.
//
// Solidity: function markCaseOpen(uint256 id) returns()
func (_StakeRegistry *StakeRegistrySession) MarkCaseOpen(id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.Contract.MarkCaseOpen(&_StakeRegistry.TransactOpts, id)
}

// MarkCaseOpen is a paid mutator transaction binding the contract method 0x94dbc560.
//
// Solidity: function markCaseOpen(uint256 id) returns()
func (_StakeRegistry *StakeRegistryTransactorSession) MarkCaseOpen(id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.Contract.MarkCaseOpen(&_StakeRegistry.TransactOpts, id)
}

// SetCourt is a paid mutator transaction binding the contract method 0xabf15bb3.
//
// Solidity: function setCourt(address court_) returns()
func (_StakeRegistry *StakeRegistryTransactor) SetCourt(opts *bind.TransactOpts, court_ common.Address) (*types.Transaction, error) {
	return _StakeRegistry.contract.Transact(opts, "setCourt", court_)
}

// SetCourt is a paid mutator transaction binding the contract method 0xabf15bb3.
//
// Solidity: function setCourt(address court_) returns()
func (_StakeRegistry *StakeRegistrySession) SetCourt(court_ common.Address) (*types.Transaction, error) {
	return _StakeRegistry.Contract.SetCourt(&_StakeRegistry.TransactOpts, court_)
}

// SetCourt is a paid mutator transaction binding the contract method 0xabf15bb3.
//
// Solidity: function setCourt(address court_) returns()
func (_StakeRegistry *StakeRegistryTransactorSession) SetCourt(court_ common.Address) (*types.Transaction, error) {
	return _StakeRegistry.Contract.SetCourt(&_StakeRegistry.TransactOpts, court_)
}

// Slash is a paid mutator transaction binding the contract method 0x3d82e3c1.
//
// Solidity: function slash(uint256 id, address to) returns()
func (_StakeRegistry *StakeRegistryTransactor) Slash(opts *bind.TransactOpts, id *big.Int, to common.Address) (*types.Transaction, error) {
	return _StakeRegistry.contract.Transact(opts, "slash", id, to)
}

// Slash is a paid mutator transaction binding the contract method 0x3d82e3c1.
//
// Solidity: function slash(uint256 id, address to) returns()
func (_StakeRegistry *StakeRegistrySession) Slash(id *big.Int, to common.Address) (*types.Transaction, error) {
	return _StakeRegistry.Contract.Slash(&_StakeRegistry.TransactOpts, id, to)
}

// Slash is a paid mutator transaction binding the contract method 0x3d82e3c1.
//
// Solidity: function slash(uint256 id, address to) returns()
func (_StakeRegistry *StakeRegistryTransactorSession) Slash(id *big.Int, to common.Address) (*types.Transaction, error) {
	return _StakeRegistry.Contract.Slash(&_StakeRegistry.TransactOpts, id, to)
}

// Stake is a paid mutator transaction binding the contract method 0xb71e6800.
//
// Solidity: function stake(bytes32 service, address client, uint256 amount, uint64 term) returns(uint256 id)
func (_StakeRegistry *StakeRegistryTransactor) Stake(opts *bind.TransactOpts, service [32]byte, client common.Address, amount *big.Int, term uint64) (*types.Transaction, error) {
	return _StakeRegistry.contract.Transact(opts, "stake", service, client, amount, term)
}

// Stake is a paid mutator transaction binding the contract method 0xb71e6800.
//
// Solidity: function stake(bytes32 service, address client, uint256 amount, uint64 term) returns(uint256 id)
func (_StakeRegistry *StakeRegistrySession) Stake(service [32]byte, client common.Address, amount *big.Int, term uint64) (*types.Transaction, error) {
	return _StakeRegistry.Contract.Stake(&_StakeRegistry.TransactOpts, service, client, amount, term)
}

// Stake is a paid mutator transaction binding the contract method 0xb71e6800.
//
// Solidity: function stake(bytes32 service, address client, uint256 amount, uint64 term) returns(uint256 id)
func (_StakeRegistry *StakeRegistryTransactorSession) Stake(service [32]byte, client common.Address, amount *big.Int, term uint64) (*types.Transaction, error) {
	return _StakeRegistry.Contract.Stake(&_StakeRegistry.TransactOpts, service, client, amount, term)
}

// Unstake is a paid mutator transaction binding the contract method 0x2e17de78.
//
// Solidity: function unstake(uint256 id) returns()
func (_StakeRegistry *StakeRegistryTransactor) Unstake(opts *bind.TransactOpts, id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.contract.Transact(opts, "unstake", id)
}

// Unstake is a paid mutator transaction binding the contract method 0x2e17de78.
//
// Solidity: function unstake(uint256 id) returns()
func (_StakeRegistry *StakeRegistrySession) Unstake(id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.Contract.Unstake(&_StakeRegistry.TransactOpts, id)
}

// Unstake is a paid mutator transaction binding the contract method 0x2e17de78.
//
// Solidity: function unstake(uint256 id) returns()
func (_StakeRegistry *StakeRegistryTransactorSession) Unstake(id *big.Int) (*types.Transaction, error) {
	return _StakeRegistry.Contract.Unstake(&_StakeRegistry.TransactOpts, id)
}

// StakeRegistryCourtSetIterator is returned from FilterCourtSet and is used to iterate over the raw logs and unpacked data for CourtSet events raised by the StakeRegistry contract.
type StakeRegistryCourtSetIterator struct {
	Event *StakeRegistryCourtSet // Event containing the contract specifics and raw log

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
func (it *StakeRegistryCourtSetIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakeRegistryCourtSet)
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
		it.Event = new(StakeRegistryCourtSet)
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
func (it *StakeRegistryCourtSetIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakeRegistryCourtSetIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakeRegistryCourtSet represents a CourtSet event raised by the StakeRegistry contract.
type StakeRegistryCourtSet struct {
	Court common.Address
	Raw   types.Log // Blockchain specific contextual infos
}

// FilterCourtSet is a free log retrieval operation binding the contract event 0x1f718efa4efa61072ae86507aa2a33568fdb2fe31cf2ebe4f3787415e404fea6.
//
// Solidity: event CourtSet(address court)
func (_StakeRegistry *StakeRegistryFilterer) FilterCourtSet(opts *bind.FilterOpts) (*StakeRegistryCourtSetIterator, error) {

	logs, sub, err := _StakeRegistry.contract.FilterLogs(opts, "CourtSet")
	if err != nil {
		return nil, err
	}
	return &StakeRegistryCourtSetIterator{contract: _StakeRegistry.contract, event: "CourtSet", logs: logs, sub: sub}, nil
}

// WatchCourtSet is a free log subscription operation binding the contract event 0x1f718efa4efa61072ae86507aa2a33568fdb2fe31cf2ebe4f3787415e404fea6.
//
// Solidity: event CourtSet(address court)
func (_StakeRegistry *StakeRegistryFilterer) WatchCourtSet(opts *bind.WatchOpts, sink chan<- *StakeRegistryCourtSet) (event.Subscription, error) {

	logs, sub, err := _StakeRegistry.contract.WatchLogs(opts, "CourtSet")
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakeRegistryCourtSet)
				if err := _StakeRegistry.contract.UnpackLog(event, "CourtSet", log); err != nil {
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

// ParseCourtSet is a log parse operation binding the contract event 0x1f718efa4efa61072ae86507aa2a33568fdb2fe31cf2ebe4f3787415e404fea6.
//
// Solidity: event CourtSet(address court)
func (_StakeRegistry *StakeRegistryFilterer) ParseCourtSet(log types.Log) (*StakeRegistryCourtSet, error) {
	event := new(StakeRegistryCourtSet)
	if err := _StakeRegistry.contract.UnpackLog(event, "CourtSet", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakeRegistrySlashedIterator is returned from FilterSlashed and is used to iterate over the raw logs and unpacked data for Slashed events raised by the StakeRegistry contract.
type StakeRegistrySlashedIterator struct {
	Event *StakeRegistrySlashed // Event containing the contract specifics and raw log

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
func (it *StakeRegistrySlashedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakeRegistrySlashed)
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
		it.Event = new(StakeRegistrySlashed)
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
func (it *StakeRegistrySlashedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakeRegistrySlashedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakeRegistrySlashed represents a Slashed event raised by the StakeRegistry contract.
type StakeRegistrySlashed struct {
	Id     *big.Int
	To     common.Address
	Amount *big.Int
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterSlashed is a free log retrieval operation binding the contract event 0x0ebf205de0d16b8c4e99b7cd8c52f0e40c86547ecda94f93c3fcf75fd0408463.
//
// Solidity: event Slashed(uint256 indexed id, address indexed to, uint256 amount)
func (_StakeRegistry *StakeRegistryFilterer) FilterSlashed(opts *bind.FilterOpts, id []*big.Int, to []common.Address) (*StakeRegistrySlashedIterator, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var toRule []interface{}
	for _, toItem := range to {
		toRule = append(toRule, toItem)
	}

	logs, sub, err := _StakeRegistry.contract.FilterLogs(opts, "Slashed", idRule, toRule)
	if err != nil {
		return nil, err
	}
	return &StakeRegistrySlashedIterator{contract: _StakeRegistry.contract, event: "Slashed", logs: logs, sub: sub}, nil
}

// WatchSlashed is a free log subscription operation binding the contract event 0x0ebf205de0d16b8c4e99b7cd8c52f0e40c86547ecda94f93c3fcf75fd0408463.
//
// Solidity: event Slashed(uint256 indexed id, address indexed to, uint256 amount)
func (_StakeRegistry *StakeRegistryFilterer) WatchSlashed(opts *bind.WatchOpts, sink chan<- *StakeRegistrySlashed, id []*big.Int, to []common.Address) (event.Subscription, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var toRule []interface{}
	for _, toItem := range to {
		toRule = append(toRule, toItem)
	}

	logs, sub, err := _StakeRegistry.contract.WatchLogs(opts, "Slashed", idRule, toRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakeRegistrySlashed)
				if err := _StakeRegistry.contract.UnpackLog(event, "Slashed", log); err != nil {
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

// ParseSlashed is a log parse operation binding the contract event 0x0ebf205de0d16b8c4e99b7cd8c52f0e40c86547ecda94f93c3fcf75fd0408463.
//
// Solidity: event Slashed(uint256 indexed id, address indexed to, uint256 amount)
func (_StakeRegistry *StakeRegistryFilterer) ParseSlashed(log types.Log) (*StakeRegistrySlashed, error) {
	event := new(StakeRegistrySlashed)
	if err := _StakeRegistry.contract.UnpackLog(event, "Slashed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakeRegistryStakedIterator is returned from FilterStaked and is used to iterate over the raw logs and unpacked data for Staked events raised by the StakeRegistry contract.
type StakeRegistryStakedIterator struct {
	Event *StakeRegistryStaked // Event containing the contract specifics and raw log

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
func (it *StakeRegistryStakedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakeRegistryStaked)
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
		it.Event = new(StakeRegistryStaked)
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
func (it *StakeRegistryStakedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakeRegistryStakedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakeRegistryStaked represents a Staked event raised by the StakeRegistry contract.
type StakeRegistryStaked struct {
	Id       *big.Int
	Provider common.Address
	Client   common.Address
	Service  [32]byte
	Amount   *big.Int
	Term     uint64
	Raw      types.Log // Blockchain specific contextual infos
}

// FilterStaked is a free log retrieval operation binding the contract event 0xa4aa0efd01c0bf57b1a384d903c0488225570603ef9b102f1f4151c98c369170.
//
// Solidity: event Staked(uint256 indexed id, address indexed provider, address indexed client, bytes32 service, uint256 amount, uint64 term)
func (_StakeRegistry *StakeRegistryFilterer) FilterStaked(opts *bind.FilterOpts, id []*big.Int, provider []common.Address, client []common.Address) (*StakeRegistryStakedIterator, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var providerRule []interface{}
	for _, providerItem := range provider {
		providerRule = append(providerRule, providerItem)
	}
	var clientRule []interface{}
	for _, clientItem := range client {
		clientRule = append(clientRule, clientItem)
	}

	logs, sub, err := _StakeRegistry.contract.FilterLogs(opts, "Staked", idRule, providerRule, clientRule)
	if err != nil {
		return nil, err
	}
	return &StakeRegistryStakedIterator{contract: _StakeRegistry.contract, event: "Staked", logs: logs, sub: sub}, nil
}

// WatchStaked is a free log subscription operation binding the contract event 0xa4aa0efd01c0bf57b1a384d903c0488225570603ef9b102f1f4151c98c369170.
//
// Solidity: event Staked(uint256 indexed id, address indexed provider, address indexed client, bytes32 service, uint256 amount, uint64 term)
func (_StakeRegistry *StakeRegistryFilterer) WatchStaked(opts *bind.WatchOpts, sink chan<- *StakeRegistryStaked, id []*big.Int, provider []common.Address, client []common.Address) (event.Subscription, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var providerRule []interface{}
	for _, providerItem := range provider {
		providerRule = append(providerRule, providerItem)
	}
	var clientRule []interface{}
	for _, clientItem := range client {
		clientRule = append(clientRule, clientItem)
	}

	logs, sub, err := _StakeRegistry.contract.WatchLogs(opts, "Staked", idRule, providerRule, clientRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakeRegistryStaked)
				if err := _StakeRegistry.contract.UnpackLog(event, "Staked", log); err != nil {
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

// ParseStaked is a log parse operation binding the contract event 0xa4aa0efd01c0bf57b1a384d903c0488225570603ef9b102f1f4151c98c369170.
//
// Solidity: event Staked(uint256 indexed id, address indexed provider, address indexed client, bytes32 service, uint256 amount, uint64 term)
func (_StakeRegistry *StakeRegistryFilterer) ParseStaked(log types.Log) (*StakeRegistryStaked, error) {
	event := new(StakeRegistryStaked)
	if err := _StakeRegistry.contract.UnpackLog(event, "Staked", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakeRegistryUnstakedIterator is returned from FilterUnstaked and is used to iterate over the raw logs and unpacked data for Unstaked events raised by the StakeRegistry contract.
type StakeRegistryUnstakedIterator struct {
	Event *StakeRegistryUnstaked // Event containing the contract specifics and raw log

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
func (it *StakeRegistryUnstakedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakeRegistryUnstaked)
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
		it.Event = new(StakeRegistryUnstaked)
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
func (it *StakeRegistryUnstakedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakeRegistryUnstakedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakeRegistryUnstaked represents a Unstaked event raised by the StakeRegistry contract.
type StakeRegistryUnstaked struct {
	Id       *big.Int
	Provider common.Address
	Amount   *big.Int
	Raw      types.Log // Blockchain specific contextual infos
}

// FilterUnstaked is a free log retrieval operation binding the contract event 0x37375b03d8924bd8f076f11f8411b9962aa5c02fb489021507bc6bb6f850e365.
//
// Solidity: event Unstaked(uint256 indexed id, address indexed provider, uint256 amount)
func (_StakeRegistry *StakeRegistryFilterer) FilterUnstaked(opts *bind.FilterOpts, id []*big.Int, provider []common.Address) (*StakeRegistryUnstakedIterator, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var providerRule []interface{}
	for _, providerItem := range provider {
		providerRule = append(providerRule, providerItem)
	}

	logs, sub, err := _StakeRegistry.contract.FilterLogs(opts, "Unstaked", idRule, providerRule)
	if err != nil {
		return nil, err
	}
	return &StakeRegistryUnstakedIterator{contract: _StakeRegistry.contract, event: "Unstaked", logs: logs, sub: sub}, nil
}

// WatchUnstaked is a free log subscription operation binding the contract event 0x37375b03d8924bd8f076f11f8411b9962aa5c02fb489021507bc6bb6f850e365.
//
// Solidity: event Unstaked(uint256 indexed id, address indexed provider, uint256 amount)
func (_StakeRegistry *StakeRegistryFilterer) WatchUnstaked(opts *bind.WatchOpts, sink chan<- *StakeRegistryUnstaked, id []*big.Int, provider []common.Address) (event.Subscription, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var providerRule []interface{}
	for _, providerItem := range provider {
		providerRule = append(providerRule, providerItem)
	}

	logs, sub, err := _StakeRegistry.contract.WatchLogs(opts, "Unstaked", idRule, providerRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakeRegistryUnstaked)
				if err := _StakeRegistry.contract.UnpackLog(event, "Unstaked", log); err != nil {
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

// ParseUnstaked is a log parse operation binding the contract event 0x37375b03d8924bd8f076f11f8411b9962aa5c02fb489021507bc6bb6f850e365.
//
// Solidity: event Unstaked(uint256 indexed id, address indexed provider, uint256 amount)
func (_StakeRegistry *StakeRegistryFilterer) ParseUnstaked(log types.Log) (*StakeRegistryUnstaked, error) {
	event := new(StakeRegistryUnstaked)
	if err := _StakeRegistry.contract.UnpackLog(event, "Unstaked", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
