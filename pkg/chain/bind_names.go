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

// NamesMetaData contains all meta data concerning the Names contract.
var NamesMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"AlreadyClaimed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"BadName\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"string\",\"name\":\"name\",\"type\":\"string\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"Claimed\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"name\",\"type\":\"string\"}],\"name\":\"claim\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"name\",\"type\":\"string\"}],\"name\":\"ownerOf\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	Bin: "0x6080604052348015600e575f5ffd5b506103e88061001c5f395ff3fe608060405234801561000f575f5ffd5b5060043610610034575f3560e01c8063920ffa2614610038578063f3fe12c914610067575b5f5ffd5b61004b6100463660046102f3565b61007c565b6040516001600160a01b03909116815260200160405180910390f35b61007a6100753660046102f3565b6100b8565b005b5f5f5f848460405161008f929190610361565b604080519182900390912082526020820192909252015f20546001600160a01b03169392505050565b6100f682828080601f0160208091040260200160405190810160405280939291908181526020018383808284375f920191909152506101d892505050565b6101135760405163153736cd60e01b815260040160405180910390fd5b5f8282604051610124929190610361565b60408051918290039091205f818152602081905291909120549091506001600160a01b0316801561017757604051632058b6db60e01b81526001600160a01b038216600482015260240160405180910390fd5b5f828152602081905260409081902080546001600160a01b0319163390811790915590517fddc2463a16ab9b96d078534745f6f71812635a622d6f66cc91089de0400c94d2906101ca9087908790610370565b60405180910390a250505050565b5f81515f14806101e9575060408251115b156101f557505f919050565b5f5b82518110156102ea575f8382815181106102135761021361039e565b01602001516001600160f81b03191690505f606160f81b82108015906102475750603d60f91b6001600160f81b0319831611155b806102795750600360fc1b6001600160f81b03198316108015906102795750603960f81b6001600160f81b0319831611155b90508015801561028857505f83115b156102d157601760f91b6001600160f81b0319831614806102b65750605f60f81b6001600160f81b03198316145b806102ce5750602d60f81b6001600160f81b03198316145b90505b806102e057505f949350505050565b50506001016101f7565b50600192915050565b5f5f60208385031215610304575f5ffd5b823567ffffffffffffffff81111561031a575f5ffd5b8301601f8101851361032a575f5ffd5b803567ffffffffffffffff811115610340575f5ffd5b856020828401011115610351575f5ffd5b6020919091019590945092505050565b818382375f9101908152919050565b60208152816020820152818360408301375f818301604090810191909152601f909201601f19160101919050565b634e487b7160e01b5f52603260045260245ffdfea26469706673582212208dbf4b362a73e4bdcbd55150b4316d630b633b6aba3c2be525f488d8a01b078264736f6c63430008250033",
}

// NamesABI is the input ABI used to generate the binding from.
// Deprecated: Use NamesMetaData.ABI instead.
var NamesABI = NamesMetaData.ABI

// NamesBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use NamesMetaData.Bin instead.
var NamesBin = NamesMetaData.Bin

// DeployNames deploys a new Ethereum contract, binding an instance of Names to it.
func DeployNames(auth *bind.TransactOpts, backend bind.ContractBackend) (common.Address, *types.Transaction, *Names, error) {
	parsed, err := NamesMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(NamesBin), backend)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &Names{NamesCaller: NamesCaller{contract: contract}, NamesTransactor: NamesTransactor{contract: contract}, NamesFilterer: NamesFilterer{contract: contract}}, nil
}

// Names is an auto generated Go binding around an Ethereum contract.
type Names struct {
	NamesCaller     // Read-only binding to the contract
	NamesTransactor // Write-only binding to the contract
	NamesFilterer   // Log filterer for contract events
}

// NamesCaller is an auto generated read-only Go binding around an Ethereum contract.
type NamesCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// NamesTransactor is an auto generated write-only Go binding around an Ethereum contract.
type NamesTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// NamesFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type NamesFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// NamesSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type NamesSession struct {
	Contract     *Names            // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// NamesCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type NamesCallerSession struct {
	Contract *NamesCaller  // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts // Call options to use throughout this session
}

// NamesTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type NamesTransactorSession struct {
	Contract     *NamesTransactor  // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// NamesRaw is an auto generated low-level Go binding around an Ethereum contract.
type NamesRaw struct {
	Contract *Names // Generic contract binding to access the raw methods on
}

// NamesCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type NamesCallerRaw struct {
	Contract *NamesCaller // Generic read-only contract binding to access the raw methods on
}

// NamesTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type NamesTransactorRaw struct {
	Contract *NamesTransactor // Generic write-only contract binding to access the raw methods on
}

// NewNames creates a new instance of Names, bound to a specific deployed contract.
func NewNames(address common.Address, backend bind.ContractBackend) (*Names, error) {
	contract, err := bindNames(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &Names{NamesCaller: NamesCaller{contract: contract}, NamesTransactor: NamesTransactor{contract: contract}, NamesFilterer: NamesFilterer{contract: contract}}, nil
}

// NewNamesCaller creates a new read-only instance of Names, bound to a specific deployed contract.
func NewNamesCaller(address common.Address, caller bind.ContractCaller) (*NamesCaller, error) {
	contract, err := bindNames(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &NamesCaller{contract: contract}, nil
}

// NewNamesTransactor creates a new write-only instance of Names, bound to a specific deployed contract.
func NewNamesTransactor(address common.Address, transactor bind.ContractTransactor) (*NamesTransactor, error) {
	contract, err := bindNames(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &NamesTransactor{contract: contract}, nil
}

// NewNamesFilterer creates a new log filterer instance of Names, bound to a specific deployed contract.
func NewNamesFilterer(address common.Address, filterer bind.ContractFilterer) (*NamesFilterer, error) {
	contract, err := bindNames(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &NamesFilterer{contract: contract}, nil
}

// bindNames binds a generic wrapper to an already deployed contract.
func bindNames(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := NamesMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_Names *NamesRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _Names.Contract.NamesCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_Names *NamesRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _Names.Contract.NamesTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_Names *NamesRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _Names.Contract.NamesTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_Names *NamesCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _Names.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_Names *NamesTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _Names.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_Names *NamesTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _Names.Contract.contract.Transact(opts, method, params...)
}

// OwnerOf is a free data retrieval call binding the contract method 0x920ffa26.
//
// Solidity: function ownerOf(string name) view returns(address)
func (_Names *NamesCaller) OwnerOf(opts *bind.CallOpts, name string) (common.Address, error) {
	var out []interface{}
	err := _Names.contract.Call(opts, &out, "ownerOf", name)

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// OwnerOf is a free data retrieval call binding the contract method 0x920ffa26.
//
// Solidity: function ownerOf(string name) view returns(address)
func (_Names *NamesSession) OwnerOf(name string) (common.Address, error) {
	return _Names.Contract.OwnerOf(&_Names.CallOpts, name)
}

// OwnerOf is a free data retrieval call binding the contract method 0x920ffa26.
//
// Solidity: function ownerOf(string name) view returns(address)
func (_Names *NamesCallerSession) OwnerOf(name string) (common.Address, error) {
	return _Names.Contract.OwnerOf(&_Names.CallOpts, name)
}

// Claim is a paid mutator transaction binding the contract method 0xf3fe12c9.
//
// Solidity: function claim(string name) returns()
func (_Names *NamesTransactor) Claim(opts *bind.TransactOpts, name string) (*types.Transaction, error) {
	return _Names.contract.Transact(opts, "claim", name)
}

// Claim is a paid mutator transaction binding the contract method 0xf3fe12c9.
//
// Solidity: function claim(string name) returns()
func (_Names *NamesSession) Claim(name string) (*types.Transaction, error) {
	return _Names.Contract.Claim(&_Names.TransactOpts, name)
}

// Claim is a paid mutator transaction binding the contract method 0xf3fe12c9.
//
// Solidity: function claim(string name) returns()
func (_Names *NamesTransactorSession) Claim(name string) (*types.Transaction, error) {
	return _Names.Contract.Claim(&_Names.TransactOpts, name)
}

// NamesClaimedIterator is returned from FilterClaimed and is used to iterate over the raw logs and unpacked data for Claimed events raised by the Names contract.
type NamesClaimedIterator struct {
	Event *NamesClaimed // Event containing the contract specifics and raw log

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
func (it *NamesClaimedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(NamesClaimed)
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
		it.Event = new(NamesClaimed)
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
func (it *NamesClaimedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *NamesClaimedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// NamesClaimed represents a Claimed event raised by the Names contract.
type NamesClaimed struct {
	Name  string
	Owner common.Address
	Raw   types.Log // Blockchain specific contextual infos
}

// FilterClaimed is a free log retrieval operation binding the contract event 0xddc2463a16ab9b96d078534745f6f71812635a622d6f66cc91089de0400c94d2.
//
// Solidity: event Claimed(string name, address indexed owner)
func (_Names *NamesFilterer) FilterClaimed(opts *bind.FilterOpts, owner []common.Address) (*NamesClaimedIterator, error) {

	var ownerRule []interface{}
	for _, ownerItem := range owner {
		ownerRule = append(ownerRule, ownerItem)
	}

	logs, sub, err := _Names.contract.FilterLogs(opts, "Claimed", ownerRule)
	if err != nil {
		return nil, err
	}
	return &NamesClaimedIterator{contract: _Names.contract, event: "Claimed", logs: logs, sub: sub}, nil
}

// WatchClaimed is a free log subscription operation binding the contract event 0xddc2463a16ab9b96d078534745f6f71812635a622d6f66cc91089de0400c94d2.
//
// Solidity: event Claimed(string name, address indexed owner)
func (_Names *NamesFilterer) WatchClaimed(opts *bind.WatchOpts, sink chan<- *NamesClaimed, owner []common.Address) (event.Subscription, error) {

	var ownerRule []interface{}
	for _, ownerItem := range owner {
		ownerRule = append(ownerRule, ownerItem)
	}

	logs, sub, err := _Names.contract.WatchLogs(opts, "Claimed", ownerRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(NamesClaimed)
				if err := _Names.contract.UnpackLog(event, "Claimed", log); err != nil {
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

// ParseClaimed is a log parse operation binding the contract event 0xddc2463a16ab9b96d078534745f6f71812635a622d6f66cc91089de0400c94d2.
//
// Solidity: event Claimed(string name, address indexed owner)
func (_Names *NamesFilterer) ParseClaimed(log types.Log) (*NamesClaimed, error) {
	event := new(NamesClaimed)
	if err := _Names.contract.UnpackLog(event, "Claimed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
